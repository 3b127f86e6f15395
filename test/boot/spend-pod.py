"""One task's spend writer, as LiteLLM runs it, for test/spend-buffer.test.ts.

Runs the proxy app's own startup (its lifespan: the config at CONFIG_FILE_PATH, the REDIS_*
environment, no database) in this process, then does what the proxy does with a request's
spend when it has a database and what its `update_spend` job does every
`proxy_batch_write_at` seconds:

1. `_update_key_db` queues the request's cost for its key
   (litellm/proxy/db/db_spend_update_writer.py:1242-1260, called per request from
   update_database, :612-628). Without a database the proxy never gets here (:1249), which is
   why a booted proxy cannot show this: Prisma's engines cannot be downloaded on this machine.
2. `db_update_spend_transaction_handler` (the job's first step, litellm/proxy/utils.py:8355-8373)
   either pushes the queue to Redis and flushes only under the fleet's lock (:1597-1640), or
   commits it to the database itself (:1820-1832).

The database is a stub that records every use and fails it. Prints one JSON line and exits.
Usage: python spend-pod.py <hashed key> <cost>
"""

import asyncio
import json
import os
import sys


class NoDatabase:
    """Stands in for PrismaClient: any use is recorded, then fails."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str):
        self.used.append(name)
        raise RuntimeError(f"no database here ({name})")


async def main(token: str, cost: float) -> None:
    from litellm.proxy import proxy_server
    from litellm.proxy.db.db_transaction_queue.redis_update_buffer import RedisUpdateBuffer

    app = proxy_server.app
    async with app.router.lifespan_context(app):
        writer = proxy_server.proxy_logging_obj.db_spend_update_writer
        db = NoDatabase()
        await writer._update_key_db(response_cost=cost, hashed_token=token, prisma_client=db)
        error = None
        try:
            await writer.db_update_spend_transaction_handler(
                prisma_client=db, n_retry_times=0, proxy_logging_obj=proxy_server.proxy_logging_obj
            )
        except Exception as e:  # the stub database fails whatever touches it
            error = str(e)
        result = {
            "buffer": bool(RedisUpdateBuffer.should_commit_spend_updates_to_redis()),
            "writerHasRedis": writer.redis_update_buffer.redis_cache is not None,
            "databaseUsed": db.used,
            "error": error,
        }
        print("SPEND-POD " + json.dumps(result), flush=True)
        # Skip the proxy's shutdown: it has nothing of this test's to flush.
        os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
