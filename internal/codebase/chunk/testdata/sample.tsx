import React from "react";

type Props = { name: string };

// Hello renders a greeting.
export function Hello({ name }: Props) {
  return <div className="hello">Hello {name}</div>;
}

export const App = () => <Hello name="world" />;
