//! Locate stage: finds each quotation in the archived article texts.

pub mod quotemarks;
pub mod speaker;
