"""hoopcast predictor stage."""
