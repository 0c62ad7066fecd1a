package io.sidstream.retrieval.request;

import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.http.IngestHistoryClient;
import io.sidstream.schemas.v1.Candidate;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks requests against the server's limits and the SID shape; builds results. */
public final class RequestTranslator {
    private final int levels;
    private final int codebookSize;
    private final int defaultBeam;
    private final int maxBeam;
    private final int maxK;

    private final IngestHistoryClient histories;
    private final TextSteering text;
    // Non-null when this instance serves a SID space of its own (a blue/green rollout): stored and
    // sent histories carry SIDs of the shared space, so their items are looked up here instead.
    private final SidTrie ownSpace;

    public RequestTranslator(
            int levels,
            int codebookSize,
            int defaultBeam,
            int maxBeam,
            int maxK,
            IngestHistoryClient histories) {
        this(levels, codebookSize, defaultBeam, maxBeam, maxK, histories, TextSteering.OFF);
    }

    public RequestTranslator(
            int levels,
            int codebookSize,
            int defaultBeam,
            int maxBeam,
            int maxK,
            IngestHistoryClient histories,
            TextSteering text) {
        this(levels, codebookSize, defaultBeam, maxBeam, maxK, histories, text, null);
    }

    private RequestTranslator(
            int levels,
            int codebookSize,
            int defaultBeam,
            int maxBeam,
            int maxK,
            IngestHistoryClient histories,
            TextSteering text,
            SidTrie ownSpace) {
        this.ownSpace = ownSpace;
        this.text = text;
        this.histories = histories;
        this.levels = levels;
        this.codebookSize = codebookSize;
        this.defaultBeam = defaultBeam;
        this.maxBeam = maxBeam;
        this.maxK = maxK;
    }

    /**
     * This translator for an instance serving its own SID space from {@code index}: every history
     * (stored, or sent with SIDs) is read by item id, each item taking its SID in {@code index};
     * items without one there are left out, as a delisted item would be.
     */
    public RequestTranslator resolvingHistoriesIn(SidTrie index) {
        return new RequestTranslator(
                levels, codebookSize, defaultBeam, maxBeam, maxK, histories, text, index);
    }

    /**
     * Whether histories are read by item id (an instance of its own SID space): SIDs sent by a
     * client are of the shared space, and cannot be decoded here.
     */
    public boolean readsHistoriesById() {
        return ownSpace != null;
    }

    /**
     * A beam request for a topic request; throws {@link InvalidRequestException} with all problems.
     */
    public BeamRequest toBeamRequest(RetrievalRequest request) {
        List<int[]> history = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        if (request.getHistory() == null) {
            if (!request.getLookupHistory()) {
                throw new InvalidRequestException(
                        "history is null and lookupHistory is false: nothing to decode from");
            }
            IngestHistoryClient.History stored = storedHistory(request.getUserId());
            history.addAll(stored.sids());
            seen.addAll(stored.itemIds());
        } else {
            for (HistoryEntry entry : request.getHistory()) {
                seen.add(entry.getItemId());
                if (ownSpace == null) {
                    history.add(entry.getSid().stream().mapToInt(Integer::intValue).toArray());
                } else {
                    int[] sid = ownSpace.sidOf(entry.getItemId());
                    if (sid != null) {
                        history.add(sid);
                    }
                }
            }
        }
        BeamRequest built =
                build(
                        history,
                        request.getBeamWidth(),
                        request.getNumCandidates(),
                        request.getExcludeSeen() ? seen : Set.of(),
                        toArrays(request.getIncludePrefixes()),
                        toArrays(request.getExcludePrefixes()));
        if (request.getQuery() == null) {
            if (request.getQueryWeight() != null || request.getQueryInclude()) {
                throw new InvalidRequestException("queryWeight and queryInclude need a query");
            }
            return built;
        }
        String query = request.getQuery();
        double weight =
                request.getQueryWeight() == null
                        ? HttpQuery.DEFAULT_QUERY_WEIGHT
                        : request.getQueryWeight();
        if (query.isBlank() || query.length() > HttpQuery.MAX_QUERY_CHARS) {
            throw new InvalidRequestException(
                    "query must be a sentence of 1.." + HttpQuery.MAX_QUERY_CHARS + " characters");
        }
        if (!(weight >= 0 && weight <= 100)) {
            throw new InvalidRequestException("queryWeight " + weight + " is outside [0, 100]");
        }
        return steer(built, query, weight, request.getQueryInclude()).request();
    }

    /** A request steered by a sentence, and the semantic codes the sentence maps to. */
    public record Steered(BeamRequest request, int[] codes) {}

    /**
     * {@code request} steered toward {@code sentence}: a bonus of {@code weight} per level on the
     * sentence's SID prefix, or with {@code include} only items under its level-1 code.
     */
    public Steered steer(BeamRequest request, String sentence, double weight, boolean include) {
        int[] codes = text.codes(sentence);
        if (!include) {
            return new Steered(request.steeredToward(codes, weight), codes);
        }
        if (!request.includePrefixes().isEmpty()) {
            throw new InvalidRequestException(
                    "queryInclude and includePrefixes cannot be combined");
        }
        return new Steered(
                new BeamRequest(
                        request.history(),
                        request.beamWidth(),
                        request.topK(),
                        request.excludeItems(),
                        List.of(new int[] {codes[0]}),
                        request.excludePrefixes()),
                codes);
    }

    /** Validates and builds; {@code beamWidth} null means the server default. */
    public BeamRequest build(
            List<int[]> history,
            Integer beamWidth,
            int k,
            Set<String> exclude,
            List<int[]> include,
            List<int[]> excludePrefixes) {
        List<String> problems = new ArrayList<>();
        int beam = beamWidth == null ? defaultBeam : beamWidth;
        if (beam < 1 || beam > maxBeam) {
            problems.add("beamWidth " + beam + " is outside [1, " + maxBeam + "]");
        }
        if (k < 1 || k > maxK) {
            problems.add("numCandidates " + k + " is outside [1, " + maxK + "]");
        }
        for (int[] sid : history) {
            if (sid.length != levels + 1) {
                problems.add("history SID of length " + sid.length + ", expected " + (levels + 1));
                break;
            }
            for (int l = 0; l < levels; l++) {
                if (sid[l] < 0 || sid[l] >= codebookSize) {
                    problems.add(
                            "history code "
                                    + sid[l]
                                    + " at level "
                                    + l
                                    + " is outside [0, "
                                    + codebookSize
                                    + ")");
                    break;
                }
            }
        }
        for (int[] p : include) {
            if (p.length == 0 || p.length > levels) {
                problems.add("include prefix of length " + p.length + " (1.." + levels + ")");
            }
        }
        for (int[] p : excludePrefixes) {
            if (p.length == 0 || p.length > levels) {
                problems.add("exclude prefix of length " + p.length + " (1.." + levels + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(String.join("; ", problems));
        }
        return new BeamRequest(history, beam, k, exclude, include, excludePrefixes);
    }

    /**
     * The stored history of a user, from ingest-stream, with the SIDs of the space served here: in
     * an instance of its own SID space, only the items that have one in it.
     */
    public IngestHistoryClient.History storedHistory(String userId) {
        IngestHistoryClient.History stored = histories.history(userId);
        if (ownSpace == null) {
            return stored;
        }
        List<String> ids = new ArrayList<>();
        List<int[]> sids = new ArrayList<>();
        for (String id : stored.itemIds()) {
            int[] sid = ownSpace.sidOf(id);
            if (sid != null) {
                ids.add(id);
                sids.add(sid);
            }
        }
        return new IngestHistoryClient.History(ids, sids);
    }

    /** The SIDs of live items named by id; unknown ids are an error. */
    public List<int[]> historyOfItems(List<String> itemIds, SidTrie trie) {
        List<int[]> history = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String id : itemIds) {
            int[] sid = trie.sidOf(id);
            if (sid == null) {
                unknown.add(id);
            } else {
                history.add(sid);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidRequestException("items without a SID: " + unknown);
        }
        return history;
    }

    /**
     * The topic record of a result, naming the bundle that scored it ({@code modelVersion} when the
     * result names none).
     */
    public static Recommendations toRecord(
            String requestId,
            String userId,
            BeamResult result,
            String modelVersion,
            Instant requestedAt,
            Instant receivedAt) {
        List<Candidate> candidates = new ArrayList<>();
        for (BeamResult.Candidate c : result.candidates()) {
            candidates.add(new Candidate(c.itemId(), c.sid(), c.score()));
        }
        return Recommendations.newBuilder()
                .setRequestId(requestId)
                .setUserId(userId)
                .setCandidates(candidates)
                .setExhausted(result.exhausted())
                .setModelVersion(
                        result.modelVersion() == null ? modelVersion : result.modelVersion())
                .setIndexVersion(result.indexVersion())
                .setRequestedAt(requestedAt)
                .setReceivedAt(receivedAt)
                .setCompletedAt(Instant.now())
                .build();
    }

    private static List<int[]> toArrays(List<List<Integer>> prefixes) {
        return prefixes.stream()
                .map(p -> p.stream().mapToInt(Integer::intValue).toArray())
                .toList();
    }
}
