"""The booking service: bookable services, staff calendars, bookings and quotes."""
