"""What the user keeps between runs: filter profiles and the key map."""
