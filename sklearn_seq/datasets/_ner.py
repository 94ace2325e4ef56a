# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic named-entity recognition sentences with BIO tags."""

from numbers import Integral

from sklearn.utils import check_random_state

from sklearn_seq.utils._param_validation import Interval, validate_params

__all__ = ["make_ner_sentences"]

_FIRST = [
    "John",
    "Mary",
    "Ahmed",
    "Li",
    "Olga",
    "Pierre",
    "Fatima",
    "Carlos",
    "Anna",
    "Kenji",
    "Grace",
    "Ivan",
    "Sofia",
    "David",
    "Amara",
    "Lucas",
    "Priya",
    "Jordan",
    "Paris",
    "Florence",
    "Chelsea",
    "Victoria",
    "Georgia",
    "Austin",
]
_LAST = [
    "Smith",
    "Garcia",
    "Chen",
    "Novak",
    "Dubois",
    "Khan",
    "Okafor",
    "Rossi",
    "Tanaka",
    "Schmidt",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Johnson",
    "Ford",
    "Lincoln",
    "Washington",
    "Jackson",
    "Morgan",
    "Ferrari",
    "Dell",
    "Boeing",
]
_TITLES = ["Mr.", "Mrs.", "Dr.", "Prof.", "President", "Minister", "Coach"]
_LOCATIONS = [
    ["Paris"],
    ["London"],
    ["Tokyo"],
    ["Lagos"],
    ["Berlin"],
    ["Lima"],
    ["Jordan"],
    ["Georgia"],
    ["Florence"],
    ["Chelsea"],
    ["Victoria"],
    ["Austin"],
    ["Washington"],
    ["Jackson"],
    ["Brazil"],
    ["Kenya"],
    ["Canada"],
    ["Poland"],
    ["New", "York"],
    ["San", "Francisco"],
    ["Buenos", "Aires"],
    ["Hong", "Kong"],
    ["New", "Delhi"],
    ["Rio", "de", "Janeiro"],
    ["South", "Africa"],
    ["United", "Kingdom"],
    ["Cape", "Town"],
    ["Los", "Angeles"],
]
_ORG_HEADS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Ford",
    "Ferrari",
    "Dell",
    "Boeing",
    "Morgan",
    "Lincoln",
    "Apple",
    "Amazon",
    "Oracle",
    "Delta",
    "Nova",
    "Orion",
]
_ORG_TAILS = [
    ["Corp"],
    ["Inc."],
    ["Group"],
    ["Industries"],
    ["Bank"],
    ["Motors"],
    ["Airlines"],
    ["Foundation"],
    ["Labs"],
    ["Holdings"],
    ["Systems"],
    ["Capital"],
    [],
]
_ORG_FIXED = [
    ["United", "Nations"],
    ["World", "Health", "Organization"],
    ["European", "Union"],
    ["Red", "Cross"],
    ["Bank", "of", "England"],
    ["University", "of", "Lagos"],
    ["New", "York", "Times"],
    ["Real", "Madrid"],
    ["Paris", "Saint-Germain"],
]
_MISC = [
    ["French"],
    ["German"],
    ["Brazilian"],
    ["Japanese"],
    ["Nigerian"],
    ["Olympic", "Games"],
    ["World", "Cup"],
    ["Nobel", "Prize"],
    ["Euro"],
    ["Christmas"],
    ["Ramadan"],
    ["English"],
    ["Spanish"],
]

# {PER}, {ORG}, {LOC}, {MISC} are entity slots; other words are tagged O.
_TEMPLATES = [
    "{PER} works for {ORG} in {LOC} .",
    "{PER} joined {ORG} last year .",
    "{ORG} opened a new office in {LOC} on Monday .",
    "{ORG} shares fell 3 % after the {MISC} announcement .",
    "{PER} , a {MISC} engineer , moved to {LOC} .",
    "The {MISC} delegation met {PER} in {LOC} .",
    "{PER} said {ORG} will hire 200 people in {LOC} .",
    "According to {PER} , {ORG} and {ORG} signed the deal .",
    "{LOC} beat {LOC} 2 - 1 in the {MISC} final .",
    "Flights from {LOC} to {LOC} were cancelled .",
    "{PER} visited {LOC} before the {MISC} .",
    "{ORG} appointed {PER} as chief executive .",
    "In {LOC} , {PER} spoke about {MISC} trade .",
    "{PER} and {PER} founded {ORG} in {LOC} .",
    "Analysts at {ORG} expect growth in {LOC} .",
    "{PER} won the {MISC} for the second time .",
    "Police in {LOC} arrested a man on Tuesday .",
    "The company moved its headquarters to {LOC} .",
    "Prices rose again this month , officials said .",
    "She told reporters that {PER} had left {ORG} .",
]


_ONSETS = [
    "b",
    "d",
    "f",
    "g",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "z",
    "br",
    "ch",
    "kr",
    "sh",
    "st",
    "tr",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
_CODAS = ["", "", "n", "r", "s", "l", "k", "m"]
_SURNAME_ENDS = ["ski", "son", "ez", "ov", "ini", "ando", "berg", "ová", "ic", "ers"]
_PLACE_ENDS = ["ville", "burg", "ton", "grad", "abad", "polis", "stad", "ia", "ford"]
_ORG_ENDS = ["tech", "corp", "tex", "gen", "nix", "ware", "soft", "tron"]


def _invented(rng, endings):
    """A capitalised pseudo-word: 1-2 syllables and a typical ending."""
    word = "".join(
        _ONSETS[rng.randint(len(_ONSETS))]
        + _VOWELS[rng.randint(len(_VOWELS))]
        + _CODAS[rng.randint(len(_CODAS))]
        for _ in range(1 + rng.randint(2))
    )
    return (word + endings[rng.randint(len(endings))]).capitalize()


def _person(rng):
    r = rng.random_sample()
    first = _FIRST[rng.randint(len(_FIRST))]
    last = (
        _LAST[rng.randint(len(_LAST))]
        if rng.random_sample() < 0.5
        else _invented(rng, _SURNAME_ENDS)
    )
    if r < 0.15:
        return [_TITLES[rng.randint(len(_TITLES))], last]
    if r < 0.3:
        return [last]
    if r < 0.4:
        return [first]
    return [first, last]


def _org(rng):
    r = rng.random_sample()
    if r < 0.25:
        return list(_ORG_FIXED[rng.randint(len(_ORG_FIXED))])
    if r < 0.6:
        head = _ORG_HEADS[rng.randint(len(_ORG_HEADS))]
    else:
        head = _invented(rng, _ORG_ENDS)
    return [head, *_ORG_TAILS[rng.randint(len(_ORG_TAILS))]]


def _location(rng):
    r = rng.random_sample()
    if r < 0.6:
        return list(_LOCATIONS[rng.randint(len(_LOCATIONS))])
    place = _invented(rng, _PLACE_ENDS)
    if r < 0.75:
        return ["Port" if r < 0.68 else "Lake", place]
    return [place]


_FILLERS = {
    "PER": _person,
    "ORG": _org,
    "LOC": _location,
    "MISC": lambda rng: list(_MISC[rng.randint(len(_MISC))]),
}


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_ner_sentences(n_samples=500, *, random_state=None):
    """Generate English-like sentences with named entities and BIO tags.

    Sentences come from 20 templates whose slots are filled with persons
    (``PER``: first and last names, titles), organisations (``ORG``),
    locations (``LOC``) and miscellaneous names (``MISC``: nationalities,
    events), one to four tokens long. About a third of the surnames, places
    and company names are invented from syllables (``"Brainski"``,
    ``"Port Tousburg"``), so test sentences hold many words never seen in
    training, as real text does. Many surface forms are ambiguous
    (``"Jordan"``, ``"Washington"``, ``"Ford"``, ``"Paris"`` are persons,
    places or companies depending on the context), so a tagger has to use the
    context, and multi-token entities (``"Bank of England"``, ``"Rio de
    Janeiro"``) test the ``B-``/``I-`` boundaries. 15% of the sentences are
    all lowercase, without the case cues of names.
    Tags follow IOB2 (``B-X`` opens every entity). The task is synthetic: it
    exercises models and pipelines, it is not a benchmark.

    Parameters
    ----------
    n_samples : int, default=500
        Number of sentences.

    random_state : int, RandomState instance or None, default=None
        Seed of the generator. Pass an int for reproducible output.

    Returns
    -------
    X : list of list of str
        Tokenised sentences.

    y : list of list of str
        One tag per token: ``"O"``, ``"B-PER"``, ``"I-PER"``, ``"B-ORG"``,
        ``"I-ORG"``, ``"B-LOC"``, ``"I-LOC"``, ``"B-MISC"``, ``"I-MISC"``.

    Examples
    --------
    >>> from sklearn_seq.datasets import make_ner_sentences
    >>> X, y = make_ner_sentences(n_samples=3, random_state=0)
    >>> len(X), [len(s) == len(t) for s, t in zip(X, y)]
    (3, [True, True, True])
    >>> sorted({tag for tags in y for tag in tags})[:3]
    ['B-LOC', 'B-MISC', 'B-ORG']
    """
    rng = check_random_state(random_state)
    X, y = [], []
    for _ in range(n_samples):
        template = _TEMPLATES[rng.randint(len(_TEMPLATES))]
        tokens, tags = [], []
        for word in template.split():
            if word.startswith("{") and word.endswith("}"):
                kind = word[1:-1]
                entity = _FILLERS[kind](rng)
                tokens.extend(entity)
                tags.extend([f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1))
            else:
                tokens.append(word)
                tags.append("O")
        if rng.random_sample() < 0.15:  # social-media style: no case cues
            tokens = [tok.lower() for tok in tokens]
        X.append(tokens)
        y.append(tags)
    return X, y
