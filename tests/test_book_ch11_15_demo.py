"""The demo's chapters 11-15 options: a path given that holds no data, or half of a pair of files, stops the
demo with a usage error (exit status 2) before anything runs."""
import pytest

from tinygrad_like.book import __main__ as demo


@pytest.mark.parametrize("args, message", [
    (["--babi", "{tmp}/nowhere"], "{tmp}/nowhere: no such directory"),
    (["--shakespeare", "{tmp}/nowhere.txt"], "{tmp}/nowhere.txt: no such directory"),
    (["--spam", "{tmp}/spam.txt"], "give both --spam and --ham"),
    (["--labels", "{tmp}/labels.txt"], "give both --reviews and --labels"),
    (["--reviews", "{tmp}/reviews.txt", "--labels", "{tmp}/labels.txt"], "{tmp}/reviews.txt does not exist"),
    (["--spam", "{tmp}/spam.txt", "--ham", "{tmp}/ham.txt"], "{tmp}/spam.txt does not exist"),
])
def test_missing_text_data_is_a_usage_error_before_anything_runs(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--no-mnist", "--no-figures", "--no-progress"] + [a.format(tmp=tmp_path) for a in args])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert message.format(tmp=tmp_path) in captured.err and captured.out == ""
