"""The emergency plans section (应急预案与演练): plan runs and drills, their step logs."""
