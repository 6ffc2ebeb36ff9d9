import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstshot import InputError
from firstshot.names import parse_clip_name


def test_names_2023_with_attributes():
    clip = parse_clip_name(
        "/data/ToyCar/test/section_00_target_test_anomaly_0012_car_C2_spd_34V_mic_1.wav"
    )
    assert clip.name == "section_00_target_test_anomaly_0012_car_C2_spd_34V_mic_1.wav"
    assert clip.section == "00"
    assert clip.domain == "target"
    assert clip.split == "test"
    assert clip.label == "anomaly"
    assert clip.is_anomaly is True
    assert clip.attributes == {"car": "C2", "spd": "34V", "mic": "1"}


def test_names_attribute_values_with_dash_and_dot():
    clip = parse_clip_name("section_00_source_train_normal_0001_vel_-1.5_loc_A.wav")
    assert clip.attributes == {"vel": "-1.5", "loc": "A"}


def test_names_no_attribute():
    clip = parse_clip_name("section_00_source_test_normal_0003_noAttribute.wav")
    assert clip.attributes == {}
    assert clip.label == "normal"


def test_names_2021_without_attributes():
    clip = parse_clip_name("section_02_source_test_normal_0000.wav")
    assert clip.section == "02"
    assert clip.attributes == {}
    assert clip.is_anomaly is False


def test_names_anonymised_eval_clip():
    clip = parse_clip_name("section_00_0042.wav")
    assert clip.section == "00"
    assert clip.domain is None
    assert clip.label is None
    assert clip.is_anomaly is None


def test_names_2020_pattern():
    clip = parse_clip_name("anomaly_id_01_00000000.wav")
    assert clip.section == "01"
    assert clip.label == "anomaly"


def test_names_flac_accepted():
    assert parse_clip_name("section_00_0001.flac").section == "00"


@pytest.mark.parametrize(
    "name",
    [
        "recording.wav",
        "section_00_source_test_normal.wav",
        "section_00_0001.mp3",
        "section_00_source_train_normal_0001_odd.wav",
    ],
)
def test_names_invalid_raise_input_error(name):
    with pytest.raises(InputError, match=name.split("/")[-1]):
        parse_clip_name(name)


NAME_PARTS = st.sampled_from(
    ["section", "00", "01", "source", "target", "train", "test", "normal", "anomaly", "id"]
    + ["0000", "noAttribute", "car", "A1", "-1.5", "", "ä", " ", "/", "\x00", ".wav", ".flac"]
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(NAME_PARTS, max_size=12).map("_".join)))
def test_names_random_text_parses_or_raises_input_error(text):
    # Parts of real names joined at random reach every branch of the parser,
    # which random text alone rarely does.
    for candidate in (text, text + ".wav"):
        try:
            clip = parse_clip_name(candidate)
        except InputError as error:
            assert str(error)
        else:
            assert clip.name.endswith((".wav", ".flac", ".WAV", ".FLAC"))
            assert clip.section
