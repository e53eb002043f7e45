-- An analysis run clears a conversation's change mark when it claims it, so
-- that changes during the run mark it again. A run that never finished (the
-- process was killed, or the database went away before the mark could be put
-- back) used to leave the conversation unmarked, and its stored analysis
-- stale until the next vote, which a closed conversation never gets. The
-- claim's time is now kept until the run stores its result; a claim older
-- than the lease (store `common_ground::CLAIM_LEASE_SECS`) is due again.
ALTER TABLE cg_conversations ADD COLUMN claimed_at INTEGER;
