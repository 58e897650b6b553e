"""Provision an agent at `switchboard sim agent` through the official ElevenLabs Python SDK
(its REST client pointed at the sim with `base_url`): create a client tool and an agent in
mu-law with that tool, read it back, update it, list, delete. Print what the SDK read back as
one JSON object on stdout; the Rust test `tests/sdk/elevenlabs_rest.rs` checks it.
"""

import argparse
import json
import sys

from elevenlabs import (
    AgentConfig,
    AgentPlatformSettingsRequestModel,
    AsrConversationalConfig,
    ConversationalConfig,
    LiteralJsonSchemaProperty,
    ObjectJsonSchemaPropertyInput,
    PromptAgentApiModelOutput,
    ToolRequestModel,
    ToolRequestModelToolConfig_Client,
    TtsConversationalConfigOutput,
)
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args()
    client = ElevenLabs(api_key=args.api_key, base_url=args.base_url)
    convai = client.conversational_ai
    summary = {}

    tool = convai.tools.create(
        request=ToolRequestModel(
            tool_config=ToolRequestModelToolConfig_Client(
                name="get_available_slots",
                description="Open times for an event type",
                expects_response=True,
                response_timeout_secs=20,
                parameters=ObjectJsonSchemaPropertyInput(
                    type="object",
                    required=["event_type_slug"],
                    properties={
                        "event_type_slug": LiteralJsonSchemaProperty(
                            type="string", description="Which event type"
                        )
                    },
                ),
            )
        )
    )
    summary["tool"] = {
        "id": tool.id,
        "type": tool.tool_config.type,
        "name": tool.tool_config.name,
        "expects_response": tool.tool_config.expects_response,
        "response_timeout_secs": tool.tool_config.response_timeout_secs,
        "required": tool.tool_config.parameters.required,
    }

    created = convai.agents.create(
        name="acme/front-desk",
        tags=["switchboard", "tenant:acme"],
        conversation_config=ConversationalConfig(
            asr=AsrConversationalConfig(user_input_audio_format="ulaw_8000"),
            tts=TtsConversationalConfigOutput(
                voice_id="voice_1", agent_output_audio_format="ulaw_8000"
            ),
            agent=AgentConfig(
                first_message="Thanks for calling {{business_name}}",
                language="en",
                prompt=PromptAgentApiModelOutput(
                    prompt="You book appointments.",
                    llm="gemini-2.5-flash",
                    tool_ids=[tool.id],
                ),
            ),
        ),
        platform_settings=AgentPlatformSettingsRequestModel(
            overrides={
                "conversation_config_override": {"agent": {"first_message": True}}
            },
            call_limits={"bursting_enabled": False},
        ),
    )
    agent_id = created.agent_id

    def describe(agent):
        config = agent.conversation_config
        settings = agent.platform_settings
        return {
            "agent_id": agent.agent_id,
            "name": agent.name,
            "tags": list(agent.tags or []),
            "input_format": config.asr.user_input_audio_format,
            "output_format": config.tts.agent_output_audio_format,
            "voice_id": config.tts.voice_id,
            "first_message": config.agent.first_message,
            "prompt": config.agent.prompt.prompt,
            "tool_ids": list(config.agent.prompt.tool_ids or []),
            "first_message_override": settings.overrides.conversation_config_override.agent.first_message,
            "language_override": settings.overrides.conversation_config_override.agent.language,
            "bursting_enabled": settings.call_limits.bursting_enabled,
            "record_voice": settings.privacy.record_voice,
            "retention_days": settings.privacy.retention_days,
            "created_at": agent.metadata.created_at_unix_secs,
        }

    summary["created"] = describe(convai.agents.get(agent_id=agent_id))

    updated = convai.agents.update(
        agent_id=agent_id,
        name="acme/front-desk-2",
        conversation_config={"agent": {"first_message": "Hello again", "prompt": {"tool_ids": []}}},
    )
    summary["updated"] = describe(updated)
    summary["read_after_update"] = describe(convai.agents.get(agent_id=agent_id))

    page = convai.agents.list(page_size=10, search="front-desk")
    summary["listed"] = {
        "agent_ids": [agent.agent_id for agent in page.agents],
        "has_more": page.has_more,
    }
    tools = convai.tools.list()
    summary["tools_listed"] = [t.id for t in tools.tools]

    convai.agents.delete(agent_id=agent_id)
    try:
        convai.agents.get(agent_id=agent_id)
        summary["after_delete"] = "found"
    except ApiError as error:
        summary["after_delete"] = {"status": error.status_code, "body": error.body}
    convai.tools.delete(tool_id=tool.id)
    summary["tools_after_delete"] = [t.id for t in convai.tools.list().tools]

    try:
        convai.agents.create(
            conversation_config=ConversationalConfig(
                agent=AgentConfig(prompt=PromptAgentApiModelOutput(tool_ids=["tool_missing"]))
            )
        )
        summary["bad_tool"] = "accepted"
    except ApiError as error:
        summary["bad_tool"] = {"status": error.status_code, "body": error.body}

    json.dump(summary, sys.stdout)


if __name__ == "__main__":
    main()
