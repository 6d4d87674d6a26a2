"""hoopcast features stage."""
