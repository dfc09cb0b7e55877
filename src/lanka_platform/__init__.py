"""Lanka's shared platform library: what every service stands on, and no business rules."""
