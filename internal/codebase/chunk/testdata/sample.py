"""Module docstring for the sample."""
import os
from typing import List

# Greeting used by main.
GREETING = "hello"


@decorator
def top(a: int, b: int) -> int:
    """Add two numbers.

    Returns the sum.
    """
    # add them
    return a + b


class Animal(Base):
    """An animal."""

    legs = 4

    def __init__(self, name):
        self.name = name

    # speak says something.
    @property
    def speak(self):
        '''Say it.'''
        return "..."

    class Inner:
        kind = "inner"

        def method(self):
            return 1


if __name__ == "__main__":
    print(top(1, 2))
