"""rigtui.agent"""
