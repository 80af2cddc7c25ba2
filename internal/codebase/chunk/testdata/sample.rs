//! Crate docs.
use std::fmt;

/// A point in space.
#[derive(Debug, Clone)]
pub struct Point {
    x: i32,
    y: i32,
}

impl Point {
    /// Makes a point.
    pub fn new(x: i32, y: i32) -> Self {
        // straightforward
        Point { x, y }
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

pub trait Shape {
    fn area(&self) -> f64;
    fn name(&self) -> String {
        String::from("shape")
    }
}

pub enum Dir { Up, Down }

const LIMIT: usize = 10;

fn main() {
    println!("{}", Point::new(1, 2));
}
