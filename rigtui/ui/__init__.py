"""rigtui.ui"""
