package io.sidstream.app.eval;

import java.util.List;

/**
 * One leave-last-out case: the user's items before the target (oldest first), the target, and when
 * the target interaction happened, which is the request time: every signal of the case may use only
 * events strictly before it.
 *
 * @param coldStart whether the target item was first seen in the last part of the period
 */
public record EvalCase(
        String userId, List<String> history, String target, long timeMillis, boolean coldStart) {
    public EvalCase {
        history = List.copyOf(history);
    }
}
