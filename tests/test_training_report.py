"""The training trajectory's trend line: slope per CPU-hour and the projection to 0 %."""

import pytest

from benchmarks.training_report import _bd_of, _trend_lines, trend


def test_trend_fits_a_line_and_projects_where_it_crosses_zero():
    # BD-rate = 20 - 0.5 h: crosses 0 % at 40 h, 10 h past the last point.
    t = trend([(10.0, 15.0), (20.0, 10.0), (30.0, 5.0)])
    assert t["slope"] == pytest.approx(-0.5)
    assert t["cpu_hours_to_zero"] == pytest.approx(10.0)
    assert t["exports"] == 3


def test_trend_uses_the_fitted_line_not_the_last_point():
    # Least squares through (0, 12), (1, 10), (2, 11): slope -0.5, intercept 11.5,
    # zero at 23 h, 21 h past the last point (the last point alone would say 22 h).
    t = trend([(0.0, 12.0), (1.0, 10.0), (2.0, 11.0)])
    assert t["slope"] == pytest.approx(-0.5)
    assert t["cpu_hours_to_zero"] == pytest.approx(21.0)


def test_trend_never_reaches_zero_when_the_line_rises_and_is_done_at_zero():
    assert trend([(1.0, 5.0), (2.0, 6.0)])["cpu_hours_to_zero"] is None
    assert trend([(1.0, 1.0), (2.0, -0.5)])["cpu_hours_to_zero"] == 0.0
    assert trend([(1.0, 5.0)]) is None


def _export(hours, avif, metadata="dropped"):
    return {"cpu_hours": hours, "heldout": {"metadata": metadata, "bd_rate_psnr": {"AVIF": avif}}}


def test_trend_lines_skip_exports_measured_with_metadata():
    held = [_export(5.0, 40.0, metadata="coded"), _export(10.0, 12.0), _export(12.0, 11.0)]
    text = "".join(_trend_lines(held))
    assert "over the 2 trained exports" in text
    assert "-0.500 points per CPU-hour" in text
    # 11 % at -0.5 per hour: 22 CPU-hours, 11 exports of 2 CPU-hours each.
    assert "**22 CPU-hours**" in text and "about 11 more exports at the 2.0 CPU-hours" in text


def test_an_export_measured_beside_the_default_reads_its_own_curve():
    # benchmarks.rd's table: table[anchor][test] is test's BD-rate against anchor.
    table = {"aecodec": {"AVIF": {"percent": 3.1}, "aecodec (model 26)": {"percent": 0.4}},
             "aecodec (model 26)": {"AVIF": {"percent": 2.7}, "aecodec": {"percent": -0.4}},
             "AVIF": {"aecodec": {"percent": -3.0}, "aecodec (model 26)": {"percent": -2.6}}}
    assert _bd_of(table, "aecodec") == {"aecodec (model 26)": -0.4, "AVIF": -3.0}
    assert _bd_of(table, "aecodec (model 26)") == {"aecodec": 0.4, "AVIF": -2.6}
    with pytest.raises(SystemExit, match="no curve 'aecodec \\(model 9\\)'"):
        _bd_of(table, "aecodec (model 9)")


def test_recipe_of_an_average_names_each_run_not_the_first_runs_weighting():
    from benchmarks.training_report import recipe_cell

    single = {"recipe": {"steps": 9500, "batch": 4, "crop": 256, "lr": 0.0001}, "context": "checkerboard",
              "level_weight_power": -0.7, "min_scale": 1.0}
    assert recipe_cell(single) == ("9500 × 4 × 256², 0.0001, checkerboard context, level loss ∝ λ^0.7, "
                                   "crops at the photos' own resolution")
    soup = {**single, "recipe": {**single["recipe"], "steps": 18000},
            "averaged": [{"steps": 9500, "batch": 4, "crop": 256, "lr": 0.0001, "seed": 29,
                          "level_weight_power": -0.8},
                         {"steps": 8500, "batch": 4, "crop": 256, "lr": 0.0001, "seed": 30,
                          "level_weight_power": -0.7}]}
    assert recipe_cell(soup) == ("mean of 2 runs' weights: 9500 × 4 × 256², 0.0001, seed 29, "
                                 "level loss ∝ λ^0.8; 8500 × 4 × 256², 0.0001, seed 30, "
                                 "level loss ∝ λ^0.7, checkerboard context, crops at the photos' "
                                 "own resolution")


def test_a_table_refit_is_left_out_of_the_fit_and_the_distance_counts_from_it():
    from benchmarks.training_report import recipe_cell

    refit = {**_export(12.1, 10.0), "export": "aec_m9", "parent": "aec_m8",
             "y_tables": {"photos": 265, "rows": 128}}
    text = "".join(_trend_lines([_export(10.0, 12.0), _export(12.0, 11.0), refit]))
    assert "over the 2 trained exports" in text and "-0.500 points per CPU-hour" in text
    # 10 % at -0.5 per hour from the refit: 20 CPU-hours (the fitted line alone would say 22).
    assert "from aec_m9 at +10.00 %" in text and "**20 CPU-hours**" in text
    assert recipe_cell({**refit, "context": "checkerboard"}) == (
        "no training: aec_m8's weights, y CDF tables refitted to its symbols on 265 training photos "
        "(128 rows), checkerboard context")
