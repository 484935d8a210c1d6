# Started by Python in subprocesses of the test suite (this folder is on PYTHONPATH).
import os

if os.environ.get("NIANBAO_NETGUARD") == "1":
    import nianbao_netguard

    nianbao_netguard.install()
