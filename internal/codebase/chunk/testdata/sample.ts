import { A } from "./a";

/** A point. */
export interface Point {
  x: number;
  y: number;
}

export type ID = string | number;

enum Color {
  Red,
  Green,
}

namespace Geo {
  export function dist(p: Point): number {
    return Math.hypot(p.x, p.y);
  }
}

export abstract class Repo<T> {
  private items: T[] = [];

  abstract name(): string;

  // add stores an item.
  add(item: T): void {
    this.items.push(item);
  }
}

export default function main(): void {
  console.log(new A());
}
