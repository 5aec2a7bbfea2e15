"""Does what some library Rasa imports does: turns deprecation warnings back on for everyone, then
one is raised (seen in `rasa train`, where PYTHONWARNINGS=ignore::DeprecationWarning did not hold)."""
import warnings

warnings.simplefilter("default", DeprecationWarning)
warnings.warn("an old API", DeprecationWarning, stacklevel=1)
print("done")
