//! Placeholder until the comparison benches land.
fn main() {}
