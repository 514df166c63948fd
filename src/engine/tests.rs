//! Engine tests against the fake Twenty server.
