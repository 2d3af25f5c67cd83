"""The watch as a service: the lease that lets one process watch a store, the outages
when none did, the live feed attached consoles read, and the consoles that are open."""
