//! Server functions and the types they exchange, grouped by domain. Each one is a public
//! POST endpoint: authorization happens inside the function, never only in a route guard.

pub mod directory;
