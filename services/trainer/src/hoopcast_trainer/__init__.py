"""hoopcast trainer stage."""
