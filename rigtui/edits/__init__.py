"""rigtui.edits"""
