import { type MintTool } from '../mint/mint-prompt';
import { type EnvironmentTool } from '../environment/environment-protocol';

// Port of mint/tools/alfworld.py: each tool is one ALFWorld text command; the order is ALFWORLD_TOOL_CLS's.
const TOOLS: readonly (EnvironmentTool & { desc: string; example: string })[] = [
  { name: 'put', params: ['object', 'receptacle'], action: 'put {object} in/on {receptacle}', desc: 'Put an object in/on a receptacle.', example: 'put("mug 1", "desk 2")' },
  { name: 'goto', params: ['receptacle'], action: 'go to {receptacle}', desc: 'Go to a location of the receptacle.', example: 'goto("drawer 1")' },
  { name: 'take_from', params: ['object', 'receptacle'], action: 'take {object} from {receptacle}', desc: 'Take an object from a receptacle.', example: 'take_from("mug 1", "shelf 2")' },
  { name: 'open_receptacle', params: ['receptacle'], action: 'open {receptacle}', desc: 'Open a receptacle.', example: 'open_receptacle("fridge 1")' },
  { name: 'toggle', params: ['object_or_receptacle'], action: 'toggle {object_or_receptacle}', desc: 'Toggle an object or receptacle.', example: 'toggle("light 2")' },
  { name: 'close_receptacle', params: ['receptacle'], action: 'close {receptacle}', desc: 'Close a receptacle.', example: 'close_receptacle("microwave 1")' },
  { name: 'clean', params: ['object', 'receptacle'], action: 'clean {object} with {receptacle}', desc: 'Clean an object with a receptacle.', example: 'clean("cloth 1", "sinkbasin 1")' },
  { name: 'heat', params: ['object', 'receptacle'], action: 'heat {object} with {receptacle}', desc: 'Heat an object with a receptacle.', example: 'heat("egg 1", "microwave 1")' },
  { name: 'cool', params: ['object', 'receptacle'], action: 'cool {object} with {receptacle}', desc: 'Cool an object with a receptacle.', example: 'cool("bottle 1", "fridge 1")' },
  { name: 'use', params: ['receptacle'], action: 'use {receptacle}', desc: 'Use a receptacle.', example: 'use("lamp 1")' },
  { name: 'look', params: [], action: 'look', desc: 'Look around. It will return what you see in the room.', example: 'look()' },
];

/** The eleven ALFWorld tools as environment-server commands (what the session's functions send to /step). */
export const ALFWORLD_ENVIRONMENT_TOOLS: readonly EnvironmentTool[] = TOOLS.map(({ name, params, action }) => ({ name, params, action }));

/** The same tools as MINT describes them in the first message ("[1] put(object: str, receptacle: str) -> str ..."). */
export const ALFWORLD_MINT_TOOLS: readonly MintTool[] = TOOLS.map((t) => ({
  name: t.name,
  signature: `${t.name}(${t.params.map((p) => `${p}: str`).join(', ')}) -> str`,
  description: `${t.desc}\nFor example: ${t.example}\n`,
}));

/** MINT's process_ob: drops the "You arrive at loc N. " prefix TextWorld puts before a location's description. */
export function processAlfworldObservation(observation: string): string {
  if (!observation.startsWith('You arrive at loc ')) return observation;
  const at = observation.indexOf('. ');
  // Python's find returns -1 when absent, so the slice starts at index 1.
  return observation.slice(at + 2);
}
