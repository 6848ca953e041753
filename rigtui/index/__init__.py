"""rigtui.index"""
