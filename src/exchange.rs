//! Venue protocol types and logic, free of I/O: what is sent and received,
//! parsed and validated, so the actors only move bytes.
