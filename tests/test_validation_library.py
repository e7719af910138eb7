"""Table-driven bad-input tests of the public numerical functions (issue #15).

Every row feeds one bad argument to one public function and asserts the
exception class and that the message names the parameter as the user wrote it.
The kinds covered: bool for an int, str for an int or a bool flag, a
non-integral float, out-of-range values, NaN/inf, ragged / empty arrays,
bad seeds, unhashable choices, and sizes beyond a function's stated range.
"""

from __future__ import annotations

import numpy as np
import pytest

from sdmlib import (
    beta,
    beta_estimators,
    bounds,
    capacity,
    capacity_simulation,
    data,
    experiments,
    geometry,
    hamming,
    jaeckel,
    perturb,
)
from sdmlib import _validate as V
from sdmlib import attention_agreement, hopfield_theory, provenance, recall_analysis

X8 = np.ones((2, 8))

# (id, callable, expected exception, text the message must contain)
CASES = [
    # hamming
    ("h2c-n-bool", lambda: hamming.hamming_to_cosine(1, True), TypeError, "n"),
    ("h2c-h-float", lambda: hamming.hamming_to_cosine([1.5], 8), TypeError, "h"),
    ("c2h-n-huge", lambda: hamming.cosine_to_hamming(-1.0, 10**19), ValueError, "n"),
    ("c2h-x-nan", lambda: hamming.cosine_to_hamming([np.nan], 8), ValueError, "x"),
    ("c2h-x-ragged", lambda: hamming.cosine_to_hamming([[0.1], [0.1, 0.2]], 8), ValueError, "x"),
    ("c2h-x-str", lambda: hamming.cosine_to_hamming("0.5", 8), TypeError, "x"),
    ("c2h-rounding-dict", lambda: hamming.cosine_to_hamming(0.5, 8, rounding={}), ValueError, "rounding"),
    ("pack-ragged", lambda: hamming.pack_bits([[0, 1], [1]]), ValueError, "bits"),
    # geometry
    ("ball-n-str", lambda: geometry.hamming_ball_size("64", 3), TypeError, "n"),
    ("ball-d-float", lambda: geometry.hamming_ball_size(64, [2.5]), TypeError, "d"),
    ("frac-log-str", lambda: geometry.space_fraction(64, 11, log="false"), TypeError, "log"),
    ("frac-log-int", lambda: geometry.space_fraction(64, 11, log=0), TypeError, "log"),
    ("radius-p-zero", lambda: geometry.hamming_radius_for_fraction(64, 0.0), ValueError, "p"),
    ("radius-p-nan", lambda: geometry.hamming_radius_for_fraction(64, [np.nan]), ValueError, "p"),
    ("radius-n-limit", lambda: geometry.hamming_radius_for_fraction(10**8, 0.5), ValueError, "n"),
    ("inter-dv-bool", lambda: geometry.log_hamming_ball_intersection(64, 11, [True]), TypeError, "dv"),
    ("enii-log-str", lambda: geometry.expected_neurons_in_intersection(64, 11, 3, log="yes"), TypeError, "log"),
    ("enii-r-str", lambda: geometry.expected_neurons_in_intersection(64, 11, 3, r="5"), TypeError, "r"),
    ("ball-exact-cost", lambda: geometry.hamming_ball_size(10**6, 10**5), ValueError, "n * d"),
    ("lune-exact-cost", lambda: geometry.kanerva_lune_intersection(10**6, 10**5, 0), ValueError, "n * d"),
    ("logball-d-terms", lambda: geometry.log_hamming_ball_size(10**9, 5 * 10**8), ValueError, "d"),
    ("loginter-d-terms", lambda: geometry.log_hamming_ball_intersection(10**9, 4 * 10**8, 0), ValueError, "d"),
    ("cap-log-str", lambda: geometry.cap_fraction(64, 11, log="false"), TypeError, "log"),
    # beta
    ("bfr-d-float", lambda: beta.beta_for_radius(64, [5.5, 11]), TypeError, "d"),
    ("bfr-d-str", lambda: beta.beta_for_radius(64, ["5", "11"]), TypeError, "d"),
    ("bfr-d-boollist", lambda: beta.beta_for_radius(64, [True]), TypeError, "d"),
    ("bfr-d-str-scalar", lambda: beta.beta_for_radius(64, "11"), TypeError, "d"),
    ("bfr-estimator-dict", lambda: beta.beta_for_radius(64, 11, estimator={}), ValueError, "estimator"),
    ("curve-window-foo", lambda: beta.beta_curve(64, window="foo"), ValueError, "window"),
    ("curve-window-dict", lambda: beta.beta_curve(64, window={}), ValueError, "window"),
    ("curve-n-small", lambda: beta.beta_curve(4), ValueError, "n = 4"),
    ("curve-n-limit", lambda: beta.beta_curve(10**5), ValueError, "n"),
    ("llf-ragged", lambda: beta.log_linear_fit([[1, 2], [3]], [1, 2]), ValueError, "x"),
    ("llf-empty", lambda: beta.log_linear_fit([], []), ValueError, "x"),
    ("llf-inf", lambda: beta.log_linear_fit([0, 1], [0, np.inf]), ValueError, "log_y"),
    ("llf-one-x", lambda: beta.log_linear_fit([1, 1], [0, 1]), ValueError, "x"),
    # beta estimators
    ("softmax-beta-str", lambda: beta_estimators.softmax_weights("1", [0.1]), TypeError, "beta"),
    ("softmax-beta-nan", lambda: beta_estimators.softmax_weights(np.nan, [0.1]), ValueError, "beta"),
    ("softmax-empty", lambda: beta_estimators.softmax_weights(1.0, []), ValueError, "cosines"),
    ("softmax-ragged", lambda: beta_estimators.softmax_weights(1.0, [[0.1], [0.1, 0.2]]), ValueError, "cosines"),
    # bounds
    ("summand-d-bool", lambda: bounds.summand_count(64, True, 3), TypeError, "d"),
    ("largest-log-str", lambda: bounds.largest_summand(64, 11, 3, log="false"), TypeError, "log"),
    ("prefbounds-log-int", lambda: bounds.prefactor_bounds(64, log=1), TypeError, "log"),
    ("decay-pair-str", lambda: bounds.local_decay_rate(64, 11, 3, pair="no"), TypeError, "pair"),
    ("const-exponent", lambda: bounds.constant_prefactor_approximations(64, 11, 3, exponent=[]), ValueError, "exponent"),
    # capacity
    ("snr-m-str", lambda: capacity.snr(64, 11, "10", 2**64), TypeError, "m"),
    ("osnr-n-limit", lambda: capacity.optimal_radius_snr(10**7, 10, 2**64), ValueError, "n"),
    ("argmax-n-limit", lambda: capacity.optimal_radius_snr(2000, 10, 2**64, rule="argmax", model="jaeckel"),
     ValueError, "n"),
    ("mem-P-nan", lambda: capacity.optimal_radius_memory(64, 2**64, np.nan), ValueError, "retrieval_probability"),
    ("rv-log-str", lambda: capacity.read_variance(64, 11, 0, 10, 2**64, log="false"), TypeError, "log"),
    ("cov-method", lambda: capacity.neuron_coverage(64, 11, 10, method="bogus"), ValueError, "method"),
    ("r1n-r-bool", lambda: capacity.radius_for_one_neuron(64, True), TypeError, "r"),
    # capacity simulation
    ("srs-r-memory", lambda: capacity_simulation.simulate_read_sums(64, 11, 10, 10**9, [0], 2, rng=0),
     ValueError, "r"),
    ("srs-rng-bool", lambda: capacity_simulation.simulate_read_sums(64, 11, 10, 10, [0], 2, rng=True),
     TypeError, "rng"),
    ("srs-rng-str", lambda: capacity_simulation.simulate_read_sums(64, 11, 10, 10, [0], 2, rng="abc"),
     TypeError, "rng"),
    ("srs-rng-neg", lambda: capacity_simulation.simulate_read_sums(64, 11, 10, 10, [0], 2, rng=-1),
     ValueError, "rng"),
    ("srs-dv-empty", lambda: capacity_simulation.simulate_read_sums(64, 11, 10, 10, [], 2, rng=0),
     ValueError, "dv"),
    ("cdf-interp-str", lambda: capacity_simulation.critical_distance_from_fraction([1.0, 0.2], interpolate="no"),
     TypeError, "interpolate"),
    ("trial-key-float", lambda: capacity_simulation.seeded_trial(16, 3, 2, None, [0], key=[1.5]), TypeError, "key"),
    # jaeckel
    ("jsdm-r-memory", lambda: jaeckel.JaeckelSDM(200, 10**7, 100, rng=0), ValueError, "r"),
    ("jsdm-rng-str", lambda: jaeckel.JaeckelSDM(20, 10, 3, rng="abc"), TypeError, "rng"),
    ("jint-log-str", lambda: jaeckel.jaeckel_intersection(64, 4, 3, 100, log="false"), TypeError, "log"),
    # perturb
    ("cosp-seed-bool", lambda: perturb.cosine_perturb(X8, 0.5, seed=True), TypeError, "seed"),
    ("cosp-seed-str", lambda: perturb.cosine_perturb(X8, 0.5, seed="abc"), TypeError, "seed"),
    ("cosp-x-ragged", lambda: perturb.cosine_perturb([[1.0, 2.0], [1.0]], 0.5, seed=0), ValueError, "x"),
    ("cosp-zero-row", lambda: perturb.cosine_perturb(np.zeros((2, 8)), 0.5, seed=0), ValueError, "x"),
    ("hamp-seed-neg", lambda: perturb.hamming_perturb(np.zeros((2, 8), np.uint8), 2, seed=-3), ValueError, "seed"),
    # data
    ("rp-binary-str", lambda: data.random_patterns(3, 8, binary="no", seed=0), TypeError, "binary"),
    ("rp-seed-bool", lambda: data.random_patterns(3, 8, seed=True), TypeError, "seed"),
    ("rp-seed-str", lambda: data.random_patterns(3, 8, seed="abc"), TypeError, "seed"),
    ("rp-size", lambda: data.random_patterns(10**6, 10**6, seed=0), ValueError, "n"),
    ("sample-empty", lambda: data.sample_rows(np.zeros((0, 3)), 1, seed=0), ValueError, "x"),
    # experiments
    ("score-nan", lambda: experiments.recall_score([[np.nan, 1.0]], [[1.0, 1.0]], "continuous"), ValueError,
     "outputs"),
    ("score-inf", lambda: experiments.recall_score([[np.inf, 1.0]], [[1.0, 1.0]], "continuous"), ValueError,
     "outputs"),
    ("score-empty", lambda: experiments.recall_score([], [], "continuous"), ValueError, "outputs"),
    ("score-space", lambda: experiments.recall_score([[1.0]], [[1.0]], {}), ValueError, "space"),
    # recall analysis, hopfield theory, provenance
    ("se-missing", lambda: recall_analysis.standard_error({"sem": [0.1]}), ValueError, "std"),
    ("se-nq0", lambda: recall_analysis.standard_error({"sem": [0.1], "std": [0.2], "n_queries": [0]}),
     ValueError, "n_queries"),
    ("se-std-nan", lambda: recall_analysis.standard_error({"sem": [0.1], "std": [np.nan], "n_queries": [3]}),
     ValueError, "std"),
    ("se-sem-inf", lambda: recall_analysis.standard_error({"sem": [np.inf], "std": [0.1], "n_queries": [3]}),
     ValueError, "sem"),
    ("z-nan", lambda: recall_analysis.z_against_original([np.nan], [0.1], [0.1], [0.1], [3]), ValueError, "mean"),
    ("z-shapes", lambda: recall_analysis.z_against_original([1, 2], [0.1] * 3, 0.1, 0.1, 3), ValueError, "shapes"),
    ("agth-alpha", lambda: recall_analysis.agreement_threshold(10, alpha=np.nan), ValueError, "alpha"),
    ("hbe-m-bool", lambda: hopfield_theory.hopfield_bit_error(64, [True]), TypeError, "m"),
    ("mhu-ragged", lambda: hopfield_theory.modern_hopfield_update([[1, 2], [1]], [1, 0], 1.0), ValueError, "X"),
    ("kl-empty", lambda: beta_estimators.kl_beta([], []), ValueError, "x"),
    ("loss-empty", lambda: beta_estimators.softmax_loss(1.0, [], []), ValueError, "x"),
    ("decode-hex", lambda: capacity_simulation.decode_converged("zz", 5), ValueError, "text"),
    ("agree-empty", lambda: attention_agreement.read_agreement(np.zeros((3, 8), np.uint8), np.zeros((0, 8), np.uint8), 2),
     ValueError, "queries"),
    ("git-root-int", lambda: provenance.git_commit(123), TypeError, "root"),
]


def _idx_file(tmp_path, name, raw, gz=False):
    import gzip

    path = tmp_path / name
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


@pytest.mark.parametrize("name, raw, gz, needle", [
    ("huge.idx", bytes([0, 0, 8, 3]) + (2**32 - 1).to_bytes(4, "big") * 3, False, "header says"),
    ("short.idx", bytes([0, 0, 8, 5, 0, 0]), False, "header announces"),
    ("plain.gz", bytes([0, 0, 8, 1, 0, 0, 0, 1, 7]), False, "gzip"),
    ("cut.gz", b"", True, "magic"),
    ("type.idx", bytes([0, 0, 9, 1, 0, 0, 0, 1, 7]), False, "0x09"),
])
def test_read_idx_bad_files_name_the_file(tmp_path, name, raw, gz, needle):
    path = _idx_file(tmp_path, name, raw, gz)
    with pytest.raises(ValueError) as info:
        data.read_idx(path)
    assert needle in str(info.value) and name in str(info.value)


def test_read_idx_path_type_and_missing(tmp_path):
    with pytest.raises(TypeError, match="^path must be"):
        data.read_idx(3)
    with pytest.raises(FileNotFoundError, match="path"):
        data.read_idx(tmp_path / "absent.idx")


def test_train_projection_blames_the_pixels_not_the_learning_rate():
    from sdmlib import projection  # the images are checked before torch is imported

    X = np.random.default_rng(0).random((8, 6)) * 1e30
    with pytest.raises(ValueError, match="^images must hold values with"):
        projection.train_projection(X, 2, n=4, epochs=1, batch_size=4, perturbation_range=(1, 2))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_parameter(case):
    _, call, exc, name = case
    with pytest.raises(exc) as info:
        call()
    assert name in str(info.value), f"message does not name {name!r}: {info.value}"


def test_recall_curves_refuses_repeated_radii():
    spec = experiments.model_spec("pattern_sdm", 8)
    with pytest.raises(ValueError, match="radii"):
        experiments.recall_curves([spec], np.ones((4, 8)), [0], radii=[3, 3])


@pytest.mark.parametrize("value", [True, np.bool_(False), "3", 2.5, [3], None])
def test_check_int_refuses_non_integers(value):
    with pytest.raises(TypeError, match="^k must be an integer"):
        V.check_int("k", value)


@pytest.mark.parametrize("value", [np.int64(3), 3, 3.0, np.uint8(3)])
def test_check_int_accepts_integers(value):
    assert V.check_int("k", value, lo=0) == 3


@pytest.mark.parametrize("value", [1, 0, "true", None, np.array([True])])
def test_check_bool_refuses_non_booleans(value):
    with pytest.raises(TypeError, match="^flag must be True or False"):
        V.check_bool("flag", value)


@pytest.mark.parametrize("value,exc", [(True, TypeError), ("abc", TypeError), (-1, ValueError), (1.0, TypeError),
                                       (np.random.RandomState(0), TypeError)])
def test_check_seed(value, exc):
    with pytest.raises(exc, match="^seed must be an integer >= 0, a numpy.random.Generator or None"):
        V.check_seed("seed", value)


def test_check_seed_accepts():
    g = np.random.default_rng(0)
    assert V.check_seed("seed", g) is g and V.check_seed("seed", np.int64(4)) == 4 and V.check_seed("s", None) is None


@pytest.mark.parametrize("value", [{}, [], np.array([1, 2]), True, 1])
def test_check_choice_unhashable_and_type_strict(value):
    with pytest.raises(ValueError, match="^mode must be one of 'a', 'b'"):
        V.check_choice("mode", value, ("a", "b"))
    if value is True:  # True must not match a choice 1
        with pytest.raises(ValueError):
            V.check_choice("mode", True, (1, 2))


def test_arrays_shape_and_finiteness():
    with pytest.raises(ValueError, match="^a must have 2 dimension"):
        V.check_real_array("a", [1.0], ndim=2)
    with pytest.raises(ValueError, match="^a must not be empty"):
        V.check_int_array("a", [], nonempty=True)
    with pytest.raises(ValueError, match="^a must hold integers below 2\\*\\*63"):
        V.check_int_array("a", [1e19])
    with pytest.raises(TypeError, match="^a must be an array of numbers"):
        V.check_real_array("a", [object()])
    assert np.isinf(V.check_real_array("a", [np.inf], finite=False)[0])
    with pytest.raises(ValueError, match="NaN"):
        V.check_real_array("a", [np.nan], finite=False)
