# Loaded by every Python process of the boot test's migration run (PYTHONPATH): prints one
# line, without the token, each time botocore signs an RDS IAM token, so the test can count
# how many tokens the migration minted. It observes only; the token is returned unchanged.
# botocore attaches the module's generate_db_auth_token to the RDS client class when that
# class is built (botocore/signers.py add_generate_db_auth_token), after this ran.
try:
    import botocore.signers as _signers

    _generate = _signers.generate_db_auth_token

    def _observed(self, DBHostname, Port, DBUsername, Region=None):
        token = _generate(self, DBHostname, Port, DBUsername, Region)
        print(f"boot-test: minted an RDS IAM token for {DBHostname}:{Port} as {DBUsername}", flush=True)
        return token

    _signers.generate_db_auth_token = _observed
except ImportError:
    pass
