//! (placeholder: not yet written)
