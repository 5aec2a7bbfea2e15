"""The Danish normaliser, word by word: what citizens type, and what the model is trained on."""
import pytest

from bot.nlu.normaliser import DanishNormaliser, danish_lexicon


@pytest.fixture(scope="module")
def normaliser() -> DanishNormaliser:
    return DanishNormaliser(danish_lexicon())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mit id", "mitid"),
        ("Mit-ID", "mitid"),
        ("MIT ID", "mitid"),
        ("mit.id", "mitid"),
        ("MitID'et", "mitid"),
        ("nem id", "nemid"),
        ("Nem-ID", "nemid"),
        ("eboks", "eboks"),
        ("e boks", "eboks"),
        ("e-Boks", "eboks"),
        ("borger service", "borgerservice"),
        ("Borger-Service", "borgerservice"),
        ("digital-post", "digital post"),
        ("digitalpost", "digital post"),
        ("bruger id", "brugerid"),
        ("bruger-ID", "brugerid"),
        ("pin kode", "pinkode"),
        ("pin-koden", "pinkoden"),
        ("kode viser", "kodeviser"),
        ("kodeoplaeser", "kodeoplæser"),
        ("mit.dk", "mitdk"),
        ("app'en", "appen"),
    ],
)
def test_domain_terms_get_one_spelling(normaliser, typed, expected):
    assert normaliser.normalise(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("spaerret", "spærret"),
        ("paa", "på"),
        ("stjaalet", "stjålet"),
        ("hvornaar", "hvornår"),
        ("laeseadgang", "læseadgang"),
        ("foedselsdag", "fødselsdag"),
        ("sparret", "spærret"),  # æ typed as a plain a
        ("bornene", "børnene"),  # ø typed as a plain o
    ],
)
def test_danish_letters_are_restored_in_known_words(normaliser, typed, expected):
    assert normaliser.normalise(typed) == expected


@pytest.mark.parametrize("word", ["for", "kode", "post", "hjem", "bare"])
def test_known_words_are_left_alone(normaliser, word):
    assert normaliser.normalise(word) == word


def test_unknown_words_without_a_danish_reading_are_kept(normaliser):
    assert normaliser.normalise("xqzrt") == "xqzrt"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("hjææælp", "hjælp"), ("HJÆÆÆÆLP", "hjælp"), ("hallooooo", "hallo"), ("taaaak", "tak"), ("nejjjj", "nej")],
)
def test_stretched_letters_are_squeezed(normaliser, typed, expected):
    assert normaliser.normalise(typed) == expected


def test_casing_and_spacing_are_normalised(normaliser):
    assert normaliser.normalise("  JEG HAR   GLEMT MIN PINKODE  ") == "jeg har glemt min pinkode"


def test_a_whole_sentence(normaliser):
    typed = "HJÆÆLP min Mit-ID app er spaerret og jeg kan ikke laese min e boks paa borger service"
    assert normaliser.normalise(typed) == (
        "hjælp min mitid app er spærret og jeg kan ikke læse min eboks på borgerservice"
    )


def test_typos_are_corrected_towards_training_words_only():
    normaliser = DanishNormaliser(danish_lexicon())
    assert normaliser.normalise("glmet min pinkde") == "glmet min pinkde"
    normaliser.learn(["jeg har glemt min pinkode", "pinkode"])
    # "glmet" is one edit from "glemt", "pinkde" one from "pinkode"; short words are not guessed at.
    assert normaliser.normalise("glmet min pinkde") == "glemt min pinkode"
    assert normaliser.normalise("mn") == "mn"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "مرحبا، أحتاج مساعدة", "你好", "a" * 10_000])
def test_odd_input_never_breaks_it(normaliser, text):
    result = normaliser.normalise(text)
    assert isinstance(result, str)
    assert len(result) <= len(text)


def test_a_reading_the_training_data_uses_wins_over_a_rare_lexicon_word():
    normaliser = DanishNormaliser(danish_lexicon())
    normaliser.learn(["hvornår har i åbent", "når jeg logger på"])
    # "nar" (a fool) is a Danish word, but citizens who type it here mean "når".
    assert normaliser.normalise("nar har i abent") == "når har i åbent"
