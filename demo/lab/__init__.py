"""The demo lab: simulated devices answering SNMP, SSH, TCP and HTTP on 127.0.0.0/8.

``Lab(site_path)`` serves every device of a site (``async with Lab(path) as lab: ...``);
see runner.py. world.py holds the simulated machine room, scenario.py its faults.
"""

from demo.lab.runner import Lab

__all__ = ["Lab"]
