//! (issue 7: written by the two-factor and lockout work)
