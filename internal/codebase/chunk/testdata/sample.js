import fs from "fs";
const path = require("path");

/**
 * Greets someone.
 * @param {string} name
 */
function greet(name) {
  // build the message
  return `hello ${name}`;
}

export class Shape {
  sides = 0;

  /** Area of the shape. */
  area() {
    return 0;
  }

  static create() {
    return new Shape();
  }
}

export const handler = async (req) => {
  return greet(req.name);
};

Shape.prototype.perimeter = function () {
  return this.sides * 2;
};

console.log(greet("x"));
