//! HTTP fetching (in progress).
