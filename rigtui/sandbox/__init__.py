"""rigtui.sandbox"""
