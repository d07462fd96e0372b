import pytest

from undercount.names import SYSTEMS, fold, parse_name, romanise, surname_stem


def test_worked_example_of_kazakh_names_md():
    # Yerlan Zhagiparov (NYT), Jerlan Schagiparow (FAZ), Jerlan Shagiparov, Ерлан Жагипаров
    forms = ["Yerlan Zhagiparov", "Jerlan Schagiparow", "Jerlan Shagiparov", "Ерлан Жагипаров"]
    folded = {tuple(fold(w) for w in f.split()) for f in forms}
    assert folded == {("erlan", "shagiparov")}


def test_romanise_systems():
    assert romanise("Ерлан Жагипаров", "german") == "Jerlan Schagiparow"
    assert romanise("Ерлан Жагипаров", "english") == "Yerlan Zhagiparov"
    assert romanise("Ерлан Жагипаров", "icao") == "ERLAN ZHAGIPAROV"
    assert romanise("Жаңаөзен", "bgn") == "Zhangaözen"
    assert romanise("Жаңаөзен", "kz2021") == "Jañaözen"
    assert romanise("Әсел Тоқтарова", "russian") == "Асел Токтарова"
    with pytest.raises(ValueError):
        romanise("x", "klingon")


@pytest.mark.parametrize("name", ["Бауыржан Нұрлыбаев", "Әсел Тоқтарова", "Айгүл Құдайбергенқызы",
                                  "Қайрат Шәріпұлы", "Шынар Өтеген", "Мұрат Есенғали"])
def test_every_system_folds_back(name):
    expected = [fold(w) for w in name.split()]
    for system in SYSTEMS:
        assert [fold(w) for w in romanise(name, system).split()] == expected, system


def test_surname_stems_drop_gendered_and_dropped_endings():
    stems = {surname_stem(fold(x)) for x in ["Жагипаров", "Жагипарова", "Жагипар", "Жагипарұлы", "ZHAGIPAROV"]}
    assert stems == {"shagipar"}
    assert surname_stem(fold("Жұмабаев")) == surname_stem(fold("Jumabai"))
    assert fold("Джанбулатов") == fold("Жанбулатов")


def test_parse_name_initials_and_patronymic():
    p = parse_name("Жагипаров Е.Б.")
    assert p.words == ("shagiparov",) and p.initials == ("e", "b")
    q = parse_name("Жагипаров Ерлан Бауыржанович")
    assert q.patronymic == "bauirshanovich" and set(q.words) == {"shagiparov", "erlan"}
    # two words: a -ұлы word is a surname, not a patronymic
    assert parse_name("Ерлан Жагипарұлы").patronymic is None
