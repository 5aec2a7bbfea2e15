"""`make bench --scaled`: the scratch installation it starts is one the services accept."""
from bot.benchmarks import scaled_setup
from bot.config import redis_key_prefix


def test_the_scaled_benchmark_sets_a_redis_key_prefix_rasa_and_the_gateway_accept():
    with scaled_setup(2) as environment:
        assert redis_key_prefix(environment) == environment["REDIS_KEY_PREFIX"]
        assert environment["SANIC_WORKERS"] == "2"
