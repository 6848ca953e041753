"""rigtui.store"""
