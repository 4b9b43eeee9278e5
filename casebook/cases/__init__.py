"""Cases: lifecycle, clocks, actions (services), queries, API routes, events out."""
