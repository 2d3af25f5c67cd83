"""The built-in demo of ``dutydesk demo``: a copy of a demo machine room (site.yaml,
checklists/), two days of seeded history (seed*.py), the lab of simulated devices that
answer on loopback (lab/) and the lock that keeps one demo per folder (lock.py).

Not part of the runtime wheel installed on a duty terminal: it runs from the source tree
(``make demo``), and only the demo command in console/commands/console_cmd.py loads it.
It builds on checks/ and data/ and never imports the console.
"""
