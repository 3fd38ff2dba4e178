"""Qt item models that present service results to the tabs' views."""
