"""Emergency plan runs and drills (应急预案 / 应急演练)."""
