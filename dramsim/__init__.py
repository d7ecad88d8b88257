"""dramsim package."""
