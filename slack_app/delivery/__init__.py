"""Getting work done after the ack, exactly once: the delivery ledger, the turn queue and its
workers, running a turn and posting its answer, telling people."""
