//! `qtrade`: the QuantumTrade command line.

fn main() {}
