"""The quality gate's rule: within half a point of the serving model's held-out accuracy, and every
conversation test passing. The whole path with a real model is in test_train_gate_swap.py."""
from bot.learning.trainer import GATE_MARGIN, passes_gate


def test_half_a_point_below_the_serving_model_passes_and_more_does_not():
    assert GATE_MARGIN == 0.005
    assert passes_gate(0.912, 0.910, True)
    assert passes_gate(0.9055, 0.910, True)
    assert not passes_gate(0.9045, 0.910, True)


def test_a_failing_conversation_test_fails_the_gate_whatever_the_accuracy():
    assert not passes_gate(0.99, 0.90, False)
