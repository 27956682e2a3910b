//! Profiles: which gateway, environment, contracted APIs and clerk a lookup goes through.
