"""rigtui.checks"""
